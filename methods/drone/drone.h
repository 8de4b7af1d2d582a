#ifndef LRB_METHODS_DRONE_DRONE_H_
#define LRB_METHODS_DRONE_DRONE_H_

#include <memory>

#include "methods/method.h"

namespace lrb {

// DRONE (Chen et al., NeurIPS 2021): min ||W X - M X||_F over rank(M) <= r, via the input second moment.
std::unique_ptr<Method> MakeDroneMethod();

}  // namespace lrb

#endif  // LRB_METHODS_DRONE_DRONE_H_

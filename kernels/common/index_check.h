// Ids, codes and targets index a table: one outside [0, k) would read or write out of bounds, so it is an
// argument error naming the array, the row and the value.
#ifndef VQ4J_COMMON_INDEX_CHECK_H
#define VQ4J_COMMON_INDEX_CHECK_H

#include "context.h"

namespace vq4j {

inline int check_indices(vq4j_ctx* ctx, const char* name, const int* index, int rows, int k) {
  for (int r = 0; r < rows; ++r)
    VQ4J_REQUIRE(ctx, index[r] >= 0 && index[r] < k, "%s[%d] = %d is outside [0, %d)", name, r, index[r], k);
  return VQ4J_OK;
}

}  // namespace vq4j

#endif

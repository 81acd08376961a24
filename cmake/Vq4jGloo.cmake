# libvq4j_gloo.so: the Gloo (CPU) communicator, in its own library that libvq4j.so opens with dlopen on the
# first vq4j_comm_init, so that libvq4j.so and the jar load on hosts without Gloo. Debian ships Gloo only as
# a shared library (libgloo-dev / libgloo0, which pulls libhiredis and libibverbs), so the runtime needs the
# package libgloo0 installed; the jar carries libvq4j_gloo.so itself. Optional: without Gloo this only says
# so, and vq4j_comm_init answers VQ4J_ERR_UNSUPPORTED naming the package.
find_path(VQ4J_GLOO_INCLUDE gloo/rendezvous/context.h)
find_library(VQ4J_GLOO_LIBRARY NAMES gloo)
if(VQ4J_GLOO_INCLUDE AND VQ4J_GLOO_LIBRARY)
  add_library(vq4j_gloo SHARED comm/gloo_backend.cpp comm/tcp_store.cpp)
  target_include_directories(vq4j_gloo PRIVATE ${VQ4J_GLOO_INCLUDE} comm)
  target_compile_options(vq4j_gloo PRIVATE -Wall -Wextra -O2)
  find_package(Threads REQUIRED)
  target_link_libraries(vq4j_gloo PRIVATE ${VQ4J_GLOO_LIBRARY} Threads::Threads)
  target_link_options(vq4j_gloo PRIVATE -Wl,--no-undefined -s)
  set_target_properties(vq4j_gloo PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
  set(VQ4J_WITH_GLOO ON)
  message(STATUS "vq4j: Gloo ${VQ4J_GLOO_LIBRARY}: building libvq4j_gloo.so (CPU communicator)")
else()
  set(VQ4J_WITH_GLOO OFF)
  message(STATUS "vq4j: Gloo not found (apt-get install libgloo-dev): no CPU communicator in this build")
endif()

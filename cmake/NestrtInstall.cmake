# Installs the C API header, both libnestrt builds, the CLIs, and a pkg-config file:
#   cc app.c $(pkg-config --cflags --libs nestrt)
install(FILES ${PROJECT_SOURCE_DIR}/include/nestrt/nestrt.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nestrt)
install(TARGETS nestrt_static nestrt_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
configure_file(${PROJECT_SOURCE_DIR}/cmake/nestrt.pc.in ${PROJECT_BINARY_DIR}/nestrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nestrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

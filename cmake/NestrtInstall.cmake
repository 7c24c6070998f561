# Installs the C API header, both libnestrt builds, the CLIs, and a pkg-config file:
#   cc app.c $(pkg-config --cflags --libs nestrt)
install(FILES ${PROJECT_SOURCE_DIR}/include/nestrt/nestrt.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nestrt)
install(TARGETS nestrt_static nestrt_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
configure_file(${PROJECT_SOURCE_DIR}/cmake/nestrt.pc.in ${PROJECT_BINARY_DIR}/nestrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nestrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# nestrtd, its sample config and systemd unit, and the client library + header (docs/daemon.md).
set(NESTRT_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING "Where the nestrtd.service unit is installed")
install(TARGETS nestrtd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/daemon/dist/nestrtd.toml DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/nestrt)
set(NESTRTD_PATH ${CMAKE_INSTALL_FULL_SBINDIR}/nestrtd)
set(NESTRTD_CONFIG ${CMAKE_INSTALL_FULL_SYSCONFDIR}/nestrt/nestrtd.toml)
set(NESTRTD_DOC ${CMAKE_INSTALL_FULL_DOCDIR}/daemon.md)
install(FILES ${PROJECT_SOURCE_DIR}/docs/daemon.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
configure_file(${PROJECT_SOURCE_DIR}/runtime/daemon/dist/nestrtd.service ${PROJECT_BINARY_DIR}/nestrtd.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nestrtd.service DESTINATION ${NESTRT_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/nestrt/nestrt_client.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nestrt)
install(TARGETS nestrt_client_static nestrt_client_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

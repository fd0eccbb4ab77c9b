# Writes the version header (cmake -P, at every build): the project's version and the git commit
# of the working tree now ("-dirty" with uncommitted changes; --match of no tag keeps it the bare
# hash). configure_file rewrites the header only when its text changes, so an unchanged commit
# recompiles nothing, and a build after a commit stamps that commit, not the one configured from.
#   -DSOURCE_DIR=... -DOUTPUT=... -DPROJECT_VERSION=...
execute_process(COMMAND git describe --always --dirty --abbrev=12 --match "^$"
                WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE NNLAB_GIT_COMMIT
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT NNLAB_GIT_COMMIT)
  set(NNLAB_GIT_COMMIT unknown)
endif()
configure_file(${SOURCE_DIR}/src/study/version.hpp.in ${OUTPUT} @ONLY)

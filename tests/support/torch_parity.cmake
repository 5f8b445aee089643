# hps_torch_parity_test(<target> <test> <source> <script>): a PyTorch parity test (see
# torch_parity.hpp): executable <target> from <source>, which writes its cases under
# <build folder>/<script's name> and runs <script> (with parity_common.py) on them; ctest
# test <test>, skipped (exit code 77) when HPS_TEST_PYTHON has no torch.
set(HPS_TEST_SUPPORT_DIR ${CMAKE_CURRENT_LIST_DIR})

function(hps_torch_parity_test target test source script)
    get_filename_component(cases ${script} NAME_WE)
    add_executable(${target} ${source})
    target_include_directories(${target} PRIVATE ${HPS_TEST_SUPPORT_DIR})
    target_link_libraries(${target} PRIVATE hps_runtime doctest::doctest)
    target_compile_definitions(${target} PRIVATE
        HPS_TEST_PYTHON="${HPS_TEST_PYTHON}"
        HPS_PARITY_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/${script}"
        HPS_PARITY_DIR="${CMAKE_CURRENT_BINARY_DIR}/${cases}")
    add_test(NAME ${test} COMMAND ${target})
    set_tests_properties(${test} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()

# lit configuration for Axon's IR and end-to-end tests.
import os
import lit.formats

config.name = "Axon"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".axon"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.axon_obj_root, "tests")
# Unit-test sources and inputs are not lit tests. The malformed-model corpus
# (diagnostics/) is: each file checks its errors with FileCheck.
config.excludes = ["unit", "Inputs", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py.in"]
config.environment["PATH"] = os.pathsep.join(
    [config.axon_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%examples", os.path.join(config.axon_src_root, "examples")))

# lit configuration for Axon's IR and end-to-end tests.
import os
import lit.formats

config.name = "Axon"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".axon"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.axon_obj_root, "tests")
# Unit-test sources, inputs and the malformed-model corpus are not lit tests.
config.excludes = ["unit", "diagnostics", "Inputs", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py.in"]
config.environment["PATH"] = os.pathsep.join(
    [config.axon_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%examples", os.path.join(config.axon_src_root, "examples")))

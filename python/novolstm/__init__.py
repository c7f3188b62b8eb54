"""novolstm's models in Python: safetensors files (novolstm.files), PyTorch modules (novolstm.torch) and a
Keras 3 NovoLSTM cell (novolstm.keras). Only novolstm.files is imported here, so neither torch nor keras is
needed to read a file's description."""

from .files import METADATA_KEY, NovolstmFileError, read, tensor_name, write

__all__ = ["METADATA_KEY", "NovolstmFileError", "read", "tensor_name", "write"]
__version__ = "0.1.0"

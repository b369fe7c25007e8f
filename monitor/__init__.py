"""replywatch's core: settings, storage, matching, the pipeline, cases, the daemon and the CLI.

``sources``, ``classifiers`` and ``alerts`` never import each other; they meet here.
"""

from monitor.errors import ConfigError, ReplywatchError
from monitor.settings import Settings
from monitor.settings_file import load_settings

__all__ = ["ConfigError", "ReplywatchError", "Settings", "__version__", "load_settings"]

__version__ = "0.1.0"

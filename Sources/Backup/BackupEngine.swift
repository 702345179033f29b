import Layout
import Kafka
import ObjectStore

/// The backup engine (issue 4) lives here.
public enum BackupEngine {}

import Layout
import Kafka
import ObjectStore

/// The restore engine (issue 5) lives here.
public enum RestoreEngine {}

import CZlib
public enum GzipModule {}

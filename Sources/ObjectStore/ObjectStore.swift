
public enum ObjectStoreModule {}

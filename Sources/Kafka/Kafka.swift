
public enum KafkaModule {}

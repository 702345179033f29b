import Layout
import Yams
public enum JobFileModule {}

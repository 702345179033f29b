// Placeholder until the Layout helper lands its code.
public enum LayoutModule {}

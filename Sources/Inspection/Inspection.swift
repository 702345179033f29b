/// ls and verify live here (issue 6).
public enum Inspection {}

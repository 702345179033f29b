/// What this binary is: its version and the git commit it was built from (`<sha>`, `<sha>-dirty`
/// for a checkout with uncommitted changes, `unknown` outside git). The commit comes from the
/// CommitStamp plugin, which writes `buildCommit` before every build.
public enum BuildInfo {
    /// The release version; scripts/package names the .deb after it.
    public static let version = "0.1.0"
    public static let commit = buildCommit
}

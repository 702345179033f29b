import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` with the git commit the package is built from, for `ktape --version`.
/// It runs before every build (a prebuild command), so a new commit or an edit is seen at once, and
/// rewrites the file only when the text changes, so an unchanged checkout recompiles nothing. Outside
/// a git checkout of this package (a source tarball, or one unpacked inside another repository) or
/// without git, the commit reads `unknown` and the build goes on.
@main
struct CommitStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("Generated")
        let script = #"""
            package="$1"; out="$2"; commit=unknown
            top=$(git -C "$package" rev-parse --show-toplevel 2>/dev/null) || top=
            if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$package" && pwd -P)" ]; then
                commit=$(git -C "$package" rev-parse HEAD 2>/dev/null) || commit=unknown
                if [ "$commit" != unknown ] && [ -n "$(git -C "$package" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                    commit="$commit-dirty"
                fi
            fi
            text="let buildCommit = \"$commit\""
            mkdir -p "$out"
            [ "$(cat "$out/BuildCommit.swift" 2>/dev/null)" = "$text" ] || printf '%s\n' "$text" > "$out/BuildCommit.swift"
            """#
        return [.prebuildCommand(displayName: "Stamping the git commit",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "commit-stamp", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}

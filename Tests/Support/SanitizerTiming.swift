import Foundation

/// Time bounds of tests that measure how long a run takes. A sanitizer build runs two to three times
/// slower (scripts/test --sanitize exports KTAPE_SANITIZE), so there the bounds are three times as long.
public enum SanitizerTiming {
    public static let factor: Double = (ProcessInfo.processInfo.environment["KTAPE_SANITIZE"] ?? "").isEmpty ? 1 : 3

    public static func seconds(_ bound: Double) -> Double { bound * factor }
    public static func milliseconds(_ bound: Int32) -> Int32 { Int32(Double(bound) * factor) }
}

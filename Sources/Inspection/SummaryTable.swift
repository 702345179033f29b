import Foundation
import Layout
import JobSpec

extension StoreSummary {
    /// The readable form `ls` prints by default: a partition table, the runs, then orphans and strays.
    public func tableText() -> String {
        var out = "store \(store)" + (prefix.isEmpty ? "" : " (prefix \(prefix))") + ", topics dir \(topicsDir)\n"
        switch source {
        case .empty:
            return out + emptyText() + strayLines()
        case .listing:
            if let unfinishedBackup {
                out +=
                    "no ktape manifests, but ktape's own objects or metadata (\(unfinishedBackup)): a backup that has not finished "
                    + "(still running, killed, or copied before it wrote its manifest), so this may be only part of it; "
                    + "offsets below are objects' start offsets from the listing, record counts are unknown\n"
            } else {
                out +=
                    "no ktape manifests: offsets below are objects' start offsets from the listing (a Confluent sink's layout); record counts are unknown\n"
            }
        case .manifests:
            // Their objects are not under this topics dir: the figures below are the manifests', the objects unseen.
            let others = Set(runs.map(\.topicsDir)).subtracting([topicsDir]).sorted()
            if !others.isEmpty {
                out +=
                    "runs wrote their objects under topics dir \(others.map { "'\($0)'" }.joined(separator: ", ")), not '\(topicsDir)': "
                    + "pass --topics-dir \(others[0]) (without it, restore stops on them and verify reports them)\n"
            }
        }
        out += "\n"
        let anyPruned = topics.contains { $0.partitions.contains { $0.prunedBefore != nil } }
        var rows = [["TOPIC", "PARTITION", "OFFSETS", "OBJECTS", "BYTES", "RECORDS", "GAPS"] + (anyPruned ? ["PRUNED"] : [])]
        for topic in topics {
            if topic.partitions.isEmpty {
                rows.append([topic.name, "-", "(no records)", "0", ByteCount.rounded(0), "0", "-"] + (anyPruned ? ["-"] : []))
            }
            for p in topic.partitions {
                let offsets =
                    p.endOffset.map { "[\(p.startOffset), \($0))" }
                    ?? "\(p.startOffset)…\(p.lastObjectStartOffset.map(String.init) ?? "?")+"
                let lost = p.gaps.filter { $0.reason == "retention" }.reduce(Int64(0)) { $0 + $1.end - $1.start }
                var gaps = p.gaps.isEmpty ? "-" : "\(p.gaps.count)" + (lost > 0 ? " (\(lost) lost)" : "")
                if let unrecorded = p.unrecordedOffsets { gaps = (p.gaps.isEmpty ? "" : gaps + ", ") + "\(unrecorded) in no run" }
                if let twice = Self.recordsPastTheirOffsets(p) { gaps = (gaps == "-" ? "" : gaps + ", ") + "\(twice) records twice" }
                let pruned = p.prunedBefore.map { "below \($0) at \(p.prunedAt ?? "?")" } ?? "-"
                rows.append(
                    [
                        topic.name, "\(p.partition)", offsets, "\(p.objects)", ByteCount.rounded(p.bytes),
                        p.records.map(String.init) ?? "?", gaps
                    ] + (anyPruned ? [pruned] : []))
            }
        }
        out += Self.align(rows)
        if topics.contains(where: { $0.partitions.contains { $0.unrecordedOffsets != nil } }) {
            out += "offsets \"in no run\" are named by no readable run manifest: one is missing or damaged; run ktape verify\n"
        }
        if topics.contains(where: { $0.partitions.contains { Self.recordsPastTheirOffsets($0) != nil } }) {
            out +=
                "\"records twice\": runs hold more records than the partition has offsets, so some offsets are covered twice "
                + "(copies of the store merged, say); a restore refuses it; run ktape verify\n"
        }
        out +=
            "total: \(VerifyReport.count(totals.topics, "topic")), \(VerifyReport.count(totals.partitions, "partition")), "
            + "\(VerifyReport.count(totals.objects, "object")), \(ByteCount.rounded(totals.bytes))"
            + (totals.records.map { ", " + VerifyReport.count(Int($0), "record") } ?? "") + "\n"

        if !runs.isEmpty {
            out += "\nruns (\(runs.count)):\n"
            var runRows = [["RUN", "SHARD", "STARTED", "FINISHED", "OBJECTS", "RECORDS", "PREVIOUS"]]
            for run in runs {
                runRows.append([
                    run.runId, run.shard, run.startedAt, run.takenOverBy == nil ? run.finishedAt : "killed", "\(run.objects)",
                    "\(run.records)", run.previousRunId ?? "-"
                ])
            }
            out += Self.align(runRows)
            if runs.contains(where: { $0.takenOverBy != nil }) {
                out +=
                    "killed: a later run (or prune) took the run's lease over, its manifest never written (takenOverBy in --json); objects it left, if any, are named by no manifest\n"
            }
        }
        if !orphans.isEmpty {
            out += "\nobjects no manifest names (\(orphans.count); left by a killed run, or copied in):\n"
            for orphan in orphans { out += "  \(orphan.key) (\(ByteCount.rounded(orphan.bytes)))\n" }
        }
        return out + strayLines()
    }

    /// Says what a store with no manifests and no data object ktape reads holds: nothing at all,
    /// keys under the topics dir that are no data object (listed after), or objects elsewhere.
    private func emptyText() -> String {
        if !strays.isEmpty {
            return "no ktape manifests and no data object ktape reads under \(topicsDir)/: "
                + "\(VerifyReport.count(strays.count, "key")) there \(strays.count == 1 ? "is" : "are") outside every layout it reads (below, with why)\n"
        }
        guard let elsewhere else { return "no ktape manifests and no objects under \(topicsDir)/: nothing is stored here\n" }
        let count = "\(elsewhere.objects)\(elsewhere.more ? "+" : "") object\(elsewhere.objects == 1 ? "" : "s")"
        var text =
            "no ktape manifests and no objects under \(topicsDir)/, but the store holds \(count) elsewhere, e.g.:\n"
            + elsewhere.examples.map { "  \($0)\n" }.joined()
        if let folder = elsewhere.suggestedStoreFolder {
            text +=
                "a ktape store (its run manifests) is under \(folder)/: name it with --store \(([store.hasSuffix("/") ? String(store.dropLast()) : store] + (prefix.isEmpty ? [] : [prefix]) + [folder]).joined(separator: "/"))\n"
        } else if let dir = elsewhere.suggestedTopicsDir {
            text += "some are data objects under \(dir)/: list them with --topics-dir \(dir)\n"
        } else {
            text += "none of them is a data object named <topic>+<partition>+<offset>.<ext> below a topic folder\n"
        }
        return text
    }

    private func strayLines() -> String {
        guard !strays.isEmpty else { return "" }
        return "\nkeys outside ktape's layout (\(strays.count)):\n" + strays.map { "  \($0.key): \($0.reason)\n" }.joined()
    }

    /// How many more records the runs hold than `[start, end)` has offsets: they cover some offsets
    /// twice. Nil when not so (gaps and compaction only ever leave fewer).
    static func recordsPastTheirOffsets(_ p: StoreSummary.Partition) -> Int64? {
        guard let end = p.endOffset, let records = p.records, records > end - p.startOffset else { return nil }
        return records - (end - p.startOffset)
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func align(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }
}

import Checksums
import Foundation
import ObjectStore
import Testing

struct PartBufferLimitTests {
    /// Takers wait while every slot is held, on a thread or in a task, until one comes back.
    @Test func takersWaitWhileAllSlotsAreHeld() async throws {
        let limit = PartBufferLimit(slots: 2)
        await limit.acquire()
        limit.acquireBlocking()
        #expect(limit.inUse == 2)
        let threadTook = DispatchSemaphore(value: 0)
        Thread {
            limit.acquireBlocking()
            limit.release()
            threadTook.signal()
        }.start()
        let waiting = Task { await limit.acquire() }
        // Both wait before a slot comes back, however slowly the thread and the task start (a
        // thread not yet waiting would leave the slot to the task, and the test to its timeout).
        let deadline = Date().addingTimeInterval(60)
        while limit.waiting != (threads: 1, tasks: 1), Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(limit.waiting == (threads: 1, tasks: 1))
        #expect(threadTook.wait(timeout: .now() + 0.2) == .timedOut)
        limit.release()
        #expect(threadTook.wait(timeout: .now() + 60) == .success)
        limit.release()
        await waiting.value
        #expect(limit.inUse == 1)
        limit.release()
        #expect(limit.inUse == 0)
    }

    /// A streaming upload holds a slot per part buffer, gathering or uploading, and gives every one
    /// back: the limit, not the upload's own concurrency, bounds the parts in flight.
    @Test func uploadsNeverHoldMoreThanTheLimitAndGiveEverySlotBack() async throws {
        let base = MemoryStore(minPartSize: 100)
        let store = StreamingUploadTests.FailingParts(base: base, failFrom: .max)
        let limit = PartBufferLimit(slots: 3)
        let body = TestBytes.make(5_050)
        let upload = StreamingUpload(store: store, key: "k", partSize: 100, concurrency: 8, limit: limit)
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + 37)
            if try body[offset..<end].withUnsafeBytes({ try upload.gather($0) }) { try await upload.shipFullParts() }
            #expect(limit.inUse <= 3)
            offset = end
        }
        let summary = try await upload.finish()
        #expect(summary.parts == 51)
        #expect(summary.crc64nvme == CRC64NVME.checksum(body))
        #expect(try await base.get("k") == body)
        #expect(store.gauge.peak == 3, "three slots, not the upload's eight, bound the parts in flight")
        #expect(limit.inUse == 0)

        // Single PUTs, async writes and aborted uploads give theirs back too.
        let small = StreamingUpload(store: base, key: "s", partSize: 100, limit: limit)
        try await small.write([1, 2, 3])
        _ = try await small.finish()
        let aborted = StreamingUpload(store: base, key: "a", partSize: 100, limit: limit)
        try await aborted.write(TestBytes.make(250))
        await aborted.abort()
        #expect(limit.inUse == 0)
    }
}

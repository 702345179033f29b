import CRdKafka

extension RDKafkaClient {
    /// Runs one Admin API request on a private queue and hands its result event to `read`.
    /// A broker that lacks the API (`apiName`, e.g. `CreateTopics`) surfaces as `.unsupported(operation:)`;
    /// so does one that is reachable but never answers it (librdkafka's mock waits forever for a controller).
    func adminRequest<T>(
        _ operation: String, api: rd_kafka_admin_op_t, apiName: String, timeoutMilliseconds: Int32,
        issue: (OpaquePointer?, OpaquePointer?) -> Void,
        read: (OpaquePointer) throws -> T
    ) throws -> T {
        if api == RD_KAFKA_ADMIN_OP_CREATETOPICS || api == RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS {
            try requireController(operation: operation, apiName: apiName, timeoutMilliseconds: timeoutMilliseconds)
        }
        let options = rd_kafka_AdminOptions_new(handle, api)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
        if api == RD_KAFKA_ADMIN_OP_CREATETOPICS {
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        issue(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 2000) else {
            throw KafkaError(
                code: .timedOut, operation: operation,
                detail: "no answer from \(bootstrap) within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let code = KafkaError.Code(err)
            let detail = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? code.message
            if code == .timedOut {
                try checkReachable(timeoutMilliseconds: 1000, waited: timeoutMilliseconds)
                throw KafkaError(
                    .unsupported(operation: apiName), code: code, operation: operation,
                    detail: "no answer within \(timeoutMilliseconds) ms (\(detail))")
            }
            throw Self.adminError(code, operation: operation, apiName: apiName, detail: detail)
        }
        return try read(event)
    }

    /// librdkafka sends CreateTopics and topic DescribeConfigs to the controller and, when the metadata names
    /// none it can reach, waits for one until the request times out. Real clusters name one of their brokers
    /// (KRaft ones too); a cluster whose fresh metadata names no controller among its brokers (librdkafka's mock
    /// names broker 0, which does not exist) cannot answer, so say so at once instead of spending the timeout.
    func requireController(operation: String, apiName: String, timeoutMilliseconds: Int32) throws {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, nil, &metadata, min(timeoutMilliseconds, 5000))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return }  // the request itself reports it
        defer { rd_kafka_metadata_destroy(metadata) }
        let controller = rd_kafka_controllerid(handle, 0)
        let brokers = UnsafeBufferPointer(start: metadata.pointee.brokers, count: Int(metadata.pointee.broker_cnt))
        if brokers.contains(where: { $0.id == controller }) { return }
        throw KafkaError(
            .unsupported(operation: apiName), code: .unsupportedFeature, operation: operation,
            detail: "the cluster's metadata names no controller among its brokers, and \(apiName) goes to the controller")
    }

    static func adminError(
        _ code: KafkaError.Code, operation: String, apiName: String, detail: String,
        topic: String? = nil
    ) -> KafkaError {
        let unsupported: [KafkaError.Code] = [
            .unsupportedFeature, .unsupportedVersion,
            KafkaError.Code(RD_KAFKA_RESP_ERR_INVALID_REQUEST)
        ]
        let kind: KafkaError.Kind = unsupported.contains(code) ? .unsupported(operation: apiName) : .librdkafka
        return KafkaError(kind, code: code, operation: operation, detail: detail, topic: topic)
    }
}

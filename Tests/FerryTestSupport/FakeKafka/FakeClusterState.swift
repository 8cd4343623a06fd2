import KafkaWire
import NIOCore

/// The shared state of the fake cluster and every decision its brokers make: topics, partition leaders,
/// logs, producer ids, and the faults the test armed. Pure: ``handle(frame:node:)`` turns one request
/// frame received by broker `node` into what the broker does (answer, close, answer late); the channel
/// handler performs it.
struct FakeClusterState: Sendable {
    /// One partition: who leads it, and its log.
    struct Partition: Sendable {
        /// The leader's node id, or -1 while there is none (an election in progress).
        var leader: Int32
        /// Bumped on every leadership change.
        var leaderEpoch: Int32 = 0
        /// The records and the idempotence state.
        var log = FakePartitionLog()
    }

    /// What the broker does with a request.
    enum Decision: Sendable, Equatable {
        /// Close the connection now, without answering.
        case close
        /// Send `response` (nothing for acks=0), then `after`.
        case answer(ByteBuffer?, after: After)
    }

    /// What follows an answer.
    enum After: Sendable, Equatable {
        case nothing
        /// Close instead of answering (the request was applied).
        case closeInsteadOfAnswering
        /// Answer after this many milliseconds.
        case delay(milliseconds: Int)
    }

    var options: FakeKafkaOptions
    /// Listening port of each broker.
    var ports: [Int32: Int] = [:]
    var topics: [String: [Partition]] = [:]
    /// Producer ids handed out, with their current epoch.
    var producerEpochs: [Int64: Int16] = [:]
    var nextProducerId: Int64 = 4000
    var produceFaults: [FakeProduceFault] = []
    var connectionFaults: [FakeConnectionFault] = []
    var stats = FakeKafkaStats()
    /// Protocol violations by the client (bad CRC, unadvertised version, malformed request ...).
    var violations: [String] = []
    /// What happened, one line per event (produce answers per partition, faults, producer ids), oldest
    /// first, at most ``traceLimit`` lines.
    var trace: [String] = []
    /// Violations beyond the first 1000, not kept.
    var droppedViolations = 0
    /// Errors InitProducerId answers next (code, requests left), oldest first.
    var initProducerIdErrors: [(KafkaErrorCode, Int)] = []
    /// While true, every connection is closed as soon as it is accepted (the brokers are "gone").
    var unavailable = false
    var traceCount = 0
    static let traceLimit = 20_000

    /// Adds a line to ``trace``.
    mutating func note(_ line: String) {
        traceCount += 1
        trace.append("#\(traceCount) \(line)")
        if trace.count > Self.traceLimit { trace.removeFirst(trace.count - Self.traceLimit) }
    }

    /// Adds a fault to the stats and the trace.
    mutating func fired(_ fault: String) {
        stats.faultsFired.append(fault)
        note("fault: \(fault)")
    }

    init(options: FakeKafkaOptions) {
        self.options = options
    }

    // MARK: - Requests

    /// Decides what broker `node` does with one request frame (size prefix removed).
    mutating func handle(frame: ByteBuffer, node: Int32) -> Decision {
        let header: RequestHeader
        var reader: KafkaReader
        do {
            (header, reader) = try KafkaFrame.decodeRequestHeader(frame: frame) { key, version in
                Self.isFlexible(key, version)
            }
        } catch {
            violations.append("node \(node): undecodable request header: \(error)")
            return .close
        }
        stats.requests[header.apiKey, default: 0] += 1
        guard let advertised = options.apiVersions[header.apiKey] else {
            violations.append("node \(node): request for \(header.apiKey), which is not advertised")
            return .close
        }
        if header.apiKey != .apiVersions && !advertised.contains(header.apiVersion) {
            violations.append("node \(node): \(header.apiKey) v\(header.apiVersion) outside the advertised \(advertised)")
            return .close
        }
        var after = After.nothing
        if let index = connectionFaults.firstIndex(where: { $0.api == header.apiKey && ($0.node == nil || $0.node == node) }) {
            let fault = connectionFaults[index]
            connectionFaults[index].requests -= 1
            if connectionFaults[index].requests <= 0 { connectionFaults.remove(at: index) }
            fired("node \(node) corr \(header.correlationId): \(fault)")
            switch fault.action {
            case .closeBeforeApplying:
                note("node \(node) closes the connection before corr \(header.correlationId)")
                return .close
            case .closeAfterApplying: after = .closeInsteadOfAnswering
            case .delayResponse(let milliseconds): after = .delay(milliseconds: milliseconds)
            }
        }
        do {
            var out = ByteBuffer()
            let id = header.correlationId
            switch header.apiKey {
            case .apiVersions:
                if header.apiVersion > advertised.upperBound {
                    // Like a broker: answer in v0 with UNSUPPORTED_VERSION and the list, so the client retries lower.
                    try KafkaFrame.encodeResponse(apiVersionsResponse(error: .unsupportedVersion), version: 0, correlationId: id, into: &out)
                } else {
                    _ = try ApiVersionsRequest(from: &reader, version: header.apiVersion)
                    try reader.expectEnd()
                    try KafkaFrame.encodeResponse(apiVersionsResponse(error: .none), version: header.apiVersion, correlationId: id, into: &out)
                }
            case .metadata:
                let request = try MetadataRequest(from: &reader, version: header.apiVersion)
                try reader.expectEnd()
                var response = metadata(request)
                options.responseFuzzer?.mutate(&response)
                try KafkaFrame.encodeResponse(response, version: header.apiVersion, correlationId: id, into: &out)
            case .initProducerId:
                let request = try InitProducerIdRequest(from: &reader, version: header.apiVersion)
                try reader.expectEnd()
                var response = initProducerId(request, version: header.apiVersion)
                options.responseFuzzer?.mutate(&response)
                try KafkaFrame.encodeResponse(response, version: header.apiVersion, correlationId: id, into: &out)
            case .produce:
                let request = try ProduceRequest(from: &reader, version: header.apiVersion)
                try reader.expectEnd()
                var response = produce(request, version: header.apiVersion, node: node)
                guard request.acks != 0 else { return .answer(nil, after: after) }
                options.responseFuzzer?.mutate(&response)
                try KafkaFrame.encodeResponse(response, version: header.apiVersion, correlationId: id, into: &out)
            default:
                violations.append("node \(node): unexpected API \(header.apiKey)")
                return .close
            }
            return .answer(out, after: after)
        } catch {
            violations.append("node \(node): undecodable \(header.apiKey) v\(header.apiVersion): \(error)")
            return .close
        }
    }

    /// Whether `key` uses the flexible encoding (and request header v2) in `version`.
    static func isFlexible(_ key: KafkaApiKey, _ version: Int16) -> Bool {
        switch key {
        case .apiVersions: ApiVersionsRequest.isFlexible(version)
        case .metadata: MetadataRequest.isFlexible(version)
        case .produce: ProduceRequest.isFlexible(version)
        case .initProducerId: InitProducerIdRequest.isFlexible(version)
        default: false
        }
    }

    // MARK: - ApiVersions, Metadata, InitProducerId

    func apiVersionsResponse(error: KafkaErrorCode) -> ApiVersionsResponse {
        let keys = options.apiVersions.sorted { $0.key.rawValue < $1.key.rawValue }.map { key, range in
            ApiVersionsResponse.ApiVersion(apiKey: key, minVersion: range.lowerBound, maxVersion: range.upperBound)
        }
        return ApiVersionsResponse(errorCode: error.rawValue, apiKeys: keys)
    }

    func metadata(_ request: MetadataRequest) -> MetadataResponse {
        let brokers = ports.keys.sorted().map { node in
            MetadataResponse.MetadataResponseBroker(nodeId: node, host: options.host, port: Int32(ports[node] ?? 0))
        }
        let names = request.topics.map { $0.compactMap(\.name) } ?? topics.keys.sorted()
        let entries = names.map { name -> MetadataResponse.MetadataResponseTopic in
            guard let partitions = topics[name] else {
                return .init(errorCode: KafkaErrorCode.unknownTopicOrPartition.rawValue, name: name)
            }
            return .init(
                name: name,
                partitions: partitions.enumerated().map { index, partition in
                    let replicas = partition.leader >= 0 ? [partition.leader] : []
                    return .init(
                        errorCode: partition.leader >= 0 ? 0 : KafkaErrorCode.leaderNotAvailable.rawValue,
                        partitionIndex: Int32(index), leaderId: partition.leader, leaderEpoch: partition.leaderEpoch,
                        replicaNodes: replicas, isrNodes: replicas)
                })
        }
        return MetadataResponse(brokers: brokers, clusterId: "ferry-fake", controllerId: ports.keys.min() ?? -1, topics: entries)
    }

    mutating func initProducerId(_ request: InitProducerIdRequest, version: Int16) -> InitProducerIdResponse {
        if let (code, remaining) = initProducerIdErrors.first {
            initProducerIdErrors[0].1 = remaining - 1
            if remaining <= 1 { initProducerIdErrors.removeFirst() }
            fired("InitProducerId v\(version) -> \(code)")
            return InitProducerIdResponse(errorCode: code.rawValue)
        }
        if version >= 3, request.producerId >= 0, let current = producerEpochs[request.producerId] {
            guard current == request.producerEpoch else {
                return InitProducerIdResponse(errorCode: KafkaErrorCode.producerFenced.rawValue)
            }
            if options.bumpsEpochs && current < Int16.max - 1 {
                producerEpochs[request.producerId] = current + 1
                stats.epochBumps += 1
                note("InitProducerId v\(version): bump \(request.producerId) to epoch \(current + 1)")
                return InitProducerIdResponse(producerId: request.producerId, producerEpoch: current + 1)
            }
        }
        let id = nextProducerId
        nextProducerId += 1
        producerEpochs[id] = 0
        stats.producerIdsIssued += 1
        note("InitProducerId v\(version) (asked \(request.producerId)/\(request.producerEpoch)): fresh id \(id)")
        return InitProducerIdResponse(producerId: id, producerEpoch: 0)
    }

    // MARK: - Produce

    mutating func produce(_ request: ProduceRequest, version: Int16, node: Int32) -> ProduceResponse {
        var topicsOut: [ProduceResponse.TopicProduceResponse] = []
        var endpoints: [Int32] = []
        for topic in request.topicData {
            var partitionsOut: [ProduceResponse.PartitionProduceResponse] = []
            for data in topic.partitionData {
                var answer = produce(topic: topic.name, data: data, acks: request.acks, node: node)
                answer.index = data.index
                if answer.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue, version >= 10,
                    let partition = topics[topic.name]?[Int(data.index)], partition.leader >= 0
                {
                    answer.currentLeader = .init(leaderId: partition.leader, leaderEpoch: partition.leaderEpoch)
                    endpoints.append(partition.leader)
                }
                stats.produceAnswers[answer.error, default: 0] += 1
                note(
                    "node \(node) produce \(topic.name)-\(data.index) \(Self.describe(data.records)) -> \(answer.error.name)"
                        + (answer.baseOffset >= 0 ? " at \(answer.baseOffset)" : ""))
                partitionsOut.append(answer)
            }
            topicsOut.append(.init(name: topic.name, partitionResponses: partitionsOut))
        }
        let nodeEndpoints = Set(endpoints).sorted().map { leader in
            ProduceResponse.NodeEndpoint(nodeId: leader, host: options.host, port: Int32(ports[leader] ?? 0))
        }
        return ProduceResponse(responses: topicsOut, nodeEndpoints: nodeEndpoints)
    }

    /// One partition's part of a Produce request.
    private mutating func produce(
        topic: String, data: ProduceRequest.PartitionProduceData, acks: Int16, node: Int32
    ) -> ProduceResponse.PartitionProduceResponse {
        func refuse(_ code: KafkaErrorCode, _ message: String? = nil) -> ProduceResponse.PartitionProduceResponse {
            .init(errorCode: code.rawValue, baseOffset: -1, errorMessage: message)
        }
        guard [-1, 0, 1].contains(acks) else {
            violations.append("node \(node): acks=\(acks)")
            return refuse(.invalidRequiredAcks)
        }
        guard let partitions = topics[topic], data.index >= 0, Int(data.index) < partitions.count else {
            return refuse(.unknownTopicOrPartition)
        }
        let index = Int(data.index)
        guard partitions[index].leader == node else { return refuse(.notLeaderOrFollower) }
        guard let records = data.records else {
            violations.append("node \(node): \(topic)-\(index): null records")
            return refuse(.invalidRecord)
        }
        let batches: [RecordBatch]
        do {
            batches = try RecordBatch.decodeAll(records, verifyCRC: true)
        } catch {
            violations.append("node \(node): \(topic)-\(index): undecodable batch: \(error)")
            return refuse(.corruptMessage, "\(error)")
        }
        guard batches.count == 1, let batch = batches.first else {
            violations.append("node \(node): \(topic)-\(index): \(batches.count) batches in one partition entry (Kafka needs 1)")
            return refuse(.invalidRecord)
        }
        var fault: FakeProduceFault?
        let written = partitions[index].log.isDuplicate(batch)
        if let position = produceFaults.firstIndex(where: {
            $0.topic == topic && $0.partition == data.index && (!$0.onlyAlreadyWritten || written)
                && batch.records.count >= $0.minimumRecords
        }) {
            let armed = produceFaults[position]
            fault = armed
            produceFaults[position].requests -= 1
            if produceFaults[position].requests <= 0 { produceFaults.remove(at: position) }
            fired("node \(node): \(armed)")
        }
        if let fault, !fault.appendFirst {
            return refuse(fault.error, "injected fault")
        }
        if batch.producerId >= 0 && (producerEpochs[batch.producerId] ?? -1) < batch.producerEpoch {
            violations.append(
                "node \(node): \(topic)-\(index): producer id \(batch.producerId) epoch \(batch.producerEpoch) was never issued")
        }
        if let problem = Self.problem(in: batch) {
            violations.append("node \(node): \(topic)-\(index): \(problem)")
            return refuse(.invalidRecord, problem)
        }
        let outcome = topics[topic]![index].log.append(batch, node: node, staleEpochError: options.staleEpochError)
        if let fault {
            return refuse(fault.error, "injected fault (after \(outcome))")
        }
        switch outcome {
        case .appended(let baseOffset):
            return .init(errorCode: 0, baseOffset: baseOffset, logStartOffset: 0)
        case .duplicate(let baseOffset):
            stats.duplicates += 1
            switch options.duplicateAnswer {
            case .duplicateSequenceNumber: return refuse(.duplicateSequenceNumber)
            case .originalOffset: return .init(errorCode: 0, baseOffset: baseOffset, logStartOffset: 0)
            }
        case .rejected(let code, let message):
            return refuse(code, message)
        }
    }

    /// `producer id/epoch/base sequence +records` of the first batch in a records blob, read from its header.
    static func describe(_ records: ByteBuffer?) -> String {
        guard let records, records.readableBytes >= RecordBatchLayout.headerSize else { return "(no batch)" }
        let base = records.readerIndex
        let id = records.getInteger(at: base + RecordBatchLayout.producerId, as: Int64.self) ?? -1
        let epoch = records.getInteger(at: base + RecordBatchLayout.producerEpoch, as: Int16.self) ?? -1
        let sequence = records.getInteger(at: base + RecordBatchLayout.baseSequence, as: Int32.self) ?? -1
        let count = records.getInteger(at: base + RecordBatchLayout.recordCount, as: Int32.self) ?? -1
        return "\(id)/\(epoch)/\(sequence)+\(count)"
    }

    /// What is wrong with a producer's batch, if anything (offset deltas, producer fields, attributes).
    static func problem(in batch: RecordBatch) -> String? {
        if batch.attributes.isTransactional || batch.attributes.isControl { return "transactional or control batch" }
        if batch.lastOffsetDelta != Int32(batch.records.count - 1) {
            return "last offset delta \(batch.lastOffsetDelta) with \(batch.records.count) records"
        }
        for (index, record) in batch.records.enumerated() where record.offsetDelta != Int32(index) {
            return "record \(index) has offset delta \(record.offsetDelta)"
        }
        if (batch.producerId < 0) != (batch.baseSequence < 0) {
            return "producer id \(batch.producerId) with base sequence \(batch.baseSequence)"
        }
        return nil
    }
}

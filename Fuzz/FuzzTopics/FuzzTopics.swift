import CMosquitto
import FuzzSupport
import MQTTAuthCore

// Topic names and filters against libmosquitto: whether a string is a valid filter or topic
// name must agree with mosquitto_sub_topic_check / mosquitto_pub_topic_check, and whether a
// valid filter matches a valid name with mosquitto_topic_matches_sub. Input: filter NUL topic.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopics(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let filterText = String(decoding: parts[0], as: UTF8.self)
    let topicText = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : filterText
    // libmosquitto sees C strings; ours may not hold NUL anyway (parts never do).
    let filter = try? TopicFilter(filterText)
    let topic = try? TopicName(topicText)
    let mosquittoFilterValid = !filterText.isEmpty && mosquitto_sub_topic_check(filterText) == 0
    let mosquittoTopicValid = !topicText.isEmpty && mosquitto_pub_topic_check(topicText) == 0
    // libmosquitto reads C strings, which end at a NUL; ours reject NUL. Compare the rest.
    if filterText.utf8.count <= 65535, !filterText.utf8.contains(0) {
        precondition((filter != nil) == mosquittoFilterValid, "filter validity differs from libmosquitto: \(filterText.debugDescription)")
    }
    if topicText.utf8.count <= 65535, !topicText.utf8.contains(0) {
        precondition((topic != nil) == mosquittoTopicValid, "topic validity differs from libmosquitto: \(topicText.debugDescription)")
    }
    if let filter, let topic {
        var matches = false
        precondition(mosquitto_topic_matches_sub(filterText, topicText, &matches) == 0)
        precondition(filter.matches(topic) == matches, "match differs from libmosquitto: \(filterText.debugDescription) vs \(topicText.debugDescription)")
    }
    return 0
}

@_cdecl("FuzzTopics_main")
public func fuzzTopicsMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzTopics(data, size) }
}

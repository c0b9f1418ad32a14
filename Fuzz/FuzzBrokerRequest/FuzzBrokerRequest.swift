import Foundation
import FuzzSupport
import HTTPTypes
import MQTTAuthServer
import NIOCore

// The broker endpoints' request decoders (JSON, form, query string) on arbitrary bytes: the
// first byte picks the content type, the rest is the body (or, with an empty body, the query).
// A request either parses or is refused with a 4xx, never anything else. The flat JSON reader,
// wherever it answers, answers what JSONDecoder does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBrokerRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let contentTypes: [String?] = [nil, "application/json", "application/x-www-form-urlencoded", "text/plain"]
    let contentType = contentTypes[Int(data[0]) % contentTypes.count]
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let useQuery = data[0] & 0x80 != 0
    let body = useQuery ? ByteBuffer() : ByteBuffer(bytes: rest)
    let query = useQuery ? String(decoding: rest, as: UTF8.self) : nil
    if let flat = BrokerRequest.fromFlatJSON(ByteBuffer(bytes: rest).readableBytesView) {
        precondition(flat == (try? BrokerRequest.fromJSON(Data(rest))), "the flat JSON reader disagrees with JSONDecoder")
    }
    do {
        let request = try BrokerRequest.parse(body: body, contentType: contentType, query: query)
        _ = try? request.access()
        for field in [request.username, request.password, request.clientID, request.topic] {
            precondition(!(field?.utf8.contains(0) ?? false), "a field with NUL got through")
        }
    } catch {
        precondition((400..<500).contains(error.status.code), "bad input answered \(error.status.code)")
    }
    return 0
}

@_cdecl("FuzzBrokerRequest_main")
public func fuzzBrokerRequestMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzBrokerRequest(data, size) }
}

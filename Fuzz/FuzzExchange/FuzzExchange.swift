import Dispatch
import Foundation
import FuzzSupport
import HTTPTypes
import MQTTAuthCore
import MQTTAuthServer
import NIOCore

// The token exchange's request decoder and the JWT verifier on arbitrary input: a body either
// decodes or is a 4xx; a token string (the body's token, or the raw input) verifies only if it
// is a well-signed token, which random input never is.
let verifier = TokenVerifier(
    configuration: TokenVerifierConfiguration(
        issuer: "https://fuzz.supabase.co/auth/v1",
        hs256Secret: Array("fuzz-jwt-secret-0123456789abcdef0123".utf8),
        jwks: nil,
        allowAnonymous: false,
        leeway: 30
    ),
    jwksSource: nil
)

final class Outcome: @unchecked Sendable {
    var accepted = false
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExchange(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let token: String
    do {
        token = try ExchangeRequest.decode(ByteBuffer(bytes: bytes)).token
    } catch {
        precondition((400..<500).contains(error.status.code), "bad input answered \(error.status.code)")
        token = String(decoding: bytes, as: UTF8.self)
    }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        outcome.accepted = (try? await verifier.verify(token)) != nil
        done.signal()
    }
    done.wait()
    precondition(!outcome.accepted, "an unsigned token was accepted: \(token.debugDescription)")
    return 0
}

@_cdecl("FuzzExchange_main")
public func fuzzExchangeMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzExchange(data, size) }
}

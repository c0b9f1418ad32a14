import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on a free loopback port in front of the real daemon that holds each answer back
/// by `delay`: the daemon made slow from the plugin's point of view, with no hook in the
/// daemon itself. One thread per direction per connection; stopped when dropped.
final class DelayingProxy: Sendable {
    let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let delayMilliseconds = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        port = try FreePort.next()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw DaemonFailure(message: "proxy cannot listen on \(port)") }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        stopped.store(true, ordering: .sequentiallyConsistent)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// How long each chunk from the daemon is held back.
    var delay: Duration {
        get { .milliseconds(delayMilliseconds.load(ordering: .sequentiallyConsistent)) }
        set { delayMilliseconds.store(Int(newValue.components.seconds * 1000 + newValue.components.attoseconds / 1_000_000_000_000_000), ordering: .sequentiallyConsistent) }
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(upstream)
                continue
            }
            Thread { [self] in pump(from: client, to: upstream, delayed: false) }.start()
            Thread { [self] in pump(from: upstream, to: client, delayed: true) }.start()
        }
    }

    private func pump(from source: Int32, to destination: Int32, delayed: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(source, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            let milliseconds = delayMilliseconds.load(ordering: .sequentiallyConsistent)
            if delayed, milliseconds > 0 { Thread.sleep(forTimeInterval: Double(milliseconds) / 1000) }
            guard send(destination, buffer, count, Int32(MSG_NOSIGNAL)) == count else { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        if delayed {
            close(source)
            close(destination)
        }
    }
}

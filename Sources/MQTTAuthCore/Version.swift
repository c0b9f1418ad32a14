/// The release's version: the one place it is written (`mqtt-authd --version`, `aclcheck --version` and `make deb` read it).
package enum MQTTAuthdVersion {
    package static let current = "0.14.0"
}

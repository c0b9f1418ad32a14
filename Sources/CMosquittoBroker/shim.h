#ifndef MQTT_AUTHD_CMOSQUITTO_BROKER_SHIM_H
#define MQTT_AUTHD_CMOSQUITTO_BROKER_SHIM_H
/* The broker's plugin interface (Debian mosquitto-dev). Its functions live in the mosquitto
 * executable that loads the plugin, so this module links no library. */
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

/* mosquitto_log_printf is variadic, which Swift cannot call: log one preformatted string. */
static inline void mqtt_authd_broker_log(int level, const char *text) {
    mosquitto_log_printf(level, "%s", text);
}
#endif

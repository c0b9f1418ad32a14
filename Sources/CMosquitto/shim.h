#ifndef MQTT_AUTHD_CMOSQUITTO_SHIM_H
#define MQTT_AUTHD_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif

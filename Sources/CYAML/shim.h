// libyaml's parser (Debian libyaml-dev), which MQTTAuthCore's YAML composer reads events from.
#include <yaml.h>

"""MQTT adapters: the meter-reading subscriber."""

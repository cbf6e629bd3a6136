"""The consumer-progress watchdog: `detector` (pure: is the consumer stalled?), `nudge` (kick a
stalled aiokafka consumer in process), `watchdog` (the worker's timer that ties them together
and, as a bounded last resort, ends the process)."""

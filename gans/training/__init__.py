"""The training machinery: settings, the loop, tricks, checkpoints, monitoring, loaded runs and scans."""

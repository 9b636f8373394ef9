"""The editors' area: papers, their versions, and (later) publishing and reports."""

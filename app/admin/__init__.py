"""The administrators' pages: the mail outbox, where admins see what the site sent or
failed to send, and retry a message, without ever seeing what a message says."""

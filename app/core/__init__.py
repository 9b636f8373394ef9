"""What several areas share: Markdown and the sanitiser, anchoring, permissions, mail, the
error family and its handlers, the transaction boundary, forms helpers, safe redirects,
i18n."""

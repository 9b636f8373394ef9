"""What several areas share: Markdown and the sanitiser, permissions, mail, errors, i18n."""

"""Rolecall in Slack: the same answers as the CLI, delivered through slack-bolt.

``bot.slack.app.build_app`` wires the listeners (``bot.slack.listeners``, one module per
feature), ``bot.slack.blocks`` renders an
:class:`bot.answer.Answer` as Block Kit and ``bot.slack.server.serve`` runs it in
Socket Mode or HTTP mode. Nothing in ``bot`` outside this package imports Slack.
"""

"""Zone files in: importers for ED-318/ED-269, AIXM 5.1, OpenAir and traffic airspace JSON
(`importers/`), and the weekly schedules they publish (`schedule`). The Zone record is
`models.zones`; what a filing learns from zones is `rules.zones`; docs/data.md says what is read.
"""

"""Day activity (päivätoiminta): schedules, the day's roster, no-show follow-up tasks, head counts and the
attendance-days report. Read `models`, then `mutations`, then `controllers`."""

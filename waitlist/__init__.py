"""The waitlist: customers wait for a time to come free; freed time is held
for the one who joined first, who claims it through a link."""

"""Class votes on the projector and on phones (issue 22): `teacher` draws the teacher's controls inside a page's
question box in presentation mode, `phone` is the student's page (pages/9_Join.py), `room` is what both share.
The rooms themselves, their rules and bounds, are `gradlab.rooms`'.
"""

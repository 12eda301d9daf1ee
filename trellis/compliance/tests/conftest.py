from trellis.scheduling.tests.fixtures import (  # noqa: F401
    director,
    enroll,
    facilitator,
    program,
    room,
    therapist,
    track,
)

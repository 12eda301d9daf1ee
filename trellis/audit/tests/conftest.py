from trellis.scheduling.tests.fixtures import enroll, program, track  # noqa: F401

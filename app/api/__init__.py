"""The JSON API under /api/v1: papers and versions, annotations, dispositions, the glossary
and moderation. Shapes are declared once (`schemas`, `routes`) and serve to validate
requests, to build answers (`presenters`) and to generate the OpenAPI document (`openapi`).
"""

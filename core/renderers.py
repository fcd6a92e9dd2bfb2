from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FastFormRenderer(BaseRenderer):
    """Forms and widgets drawn from Django's own Jinja2 templates: a form is many small templates, and Jinja2
    renders them several times faster than the template language (docs/BENCHMARKS.md). A template with no Jinja2
    version (the admin's widgets) comes from the Django template language, as before."""

    @cached_property
    def jinja2(self):
        return Jinja2().engine

    @cached_property
    def django(self):
        return DjangoTemplates().engine

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)

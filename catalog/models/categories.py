from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

PATH_SEPARATOR = "/"


class Category(TimeStampedModel):
    """A node of a category tree; a node without parent is the root of its tree.

    `path` holds the codes from the root down, so a subtree is one indexed prefix query
    (`path__startswith`) instead of a recursive walk.
    """

    code = models.SlugField(_("code"), max_length=255, unique=True)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    labels = models.JSONField(_("labels"), default=dict, blank=True, help_text=_("Label per locale, such as {\"de_DE\": \"Kameras\"}."))
    path = models.CharField(_("path"), max_length=2000, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path"]

    def __str__(self):
        return self.label() or self.code

    def label(self, locale=None):
        labels = self.labels or {}
        if locale and labels.get(locale):
            return labels[locale]
        return next(iter(labels.values()), "") if labels else ""

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("Category %(code)s cannot be its own ancestor.") % {"code": self.code}})
            ancestor = ancestor.parent

    def compute_path(self):
        if self.parent_id is None:
            return self.code, 0
        parent = self.parent
        return f"{parent.path}{PATH_SEPARATOR}{self.code}", parent.depth + 1

    def save(self, *args, **kwargs):
        old_path = None
        if self.pk:
            old_path = Category.objects.filter(pk=self.pk).values_list("path", flat=True).first()
        self.path, self.depth = self.compute_path()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"path", "depth"}
        super().save(*args, **kwargs)

        # Moving or renaming a node moves its whole subtree.
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save(update_fields=["path", "depth"])

    def subtree(self):
        """Return this category and all its descendants."""
        return Category.objects.filter(models.Q(pk=self.pk) | models.Q(path__startswith=self.path + PATH_SEPARATOR))

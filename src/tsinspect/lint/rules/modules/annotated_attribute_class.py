"""TS313 annotated-attribute-class."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.rule import Invalid, Rule, Valid


class AnnotatedAttributeClassRule(Rule):
    """## What it does
    Reports a class-level annotation on an `nn.Module` (`config: BertConfig`) for an
    attribute `__init__` sets, when the annotated class is one TorchScript cannot compile:
    it inherits from another class, or it is a `@dataclass`. The annotated class may live in
    another file: the project index resolves it.

    ## Why is this bad?
    `torch.jit.script` types every instance attribute by its class annotation, and a user
    class in an annotation is compiled as a TorchScript class
    (`pytorch@v2.13.0:torch/jit/_recursive.py`, `infer_type`;
    `torch/jit/annotations.py`, `try_ann_to_type`). TorchScript classes cannot inherit
    ("Error inferring type for config"), and a dataclass's generated `__init__` has no
    source ("Failed to get source for <function Config.__init__>", naming no line). Every
    Hugging Face `PreTrainedModel` subclass annotates `config: XConfig` this way, so none of
    them scripts whole. Without the annotation the attribute is simply left out of the
    compiled module, which is what a configuration object should be.

    ## Example
    ```python
    class Model(nn.Module):
        config: BertConfig

        def __init__(self, config: BertConfig):
            super().__init__()
            self.config = config
    ```

    ## Use instead
    ```python
    class Model(nn.Module):
        __jit_ignored_attributes__ = ["config"]
        config: BertConfig
        ...
    ```
    or copy the values `forward` needs into plain attributes (`self.eps = config.eps`) and
    drop the annotation.
    """

    code = "TS313"
    name = "annotated-attribute-class"
    message = (
        "TorchScript compiles the class this attribute is annotated with, and cannot compile it"
    )
    fix_hint = "Drop the class annotation, or list the attribute in __jit_ignored_attributes__"
    compiled_only = False

    VALID = (
        Valid(
            """
            import torch
            from torch import nn


            class Settings:
                def __init__(self, scale: float = 2.0):
                    self.scale = scale


            class Model(nn.Module):
                settings: Settings

                def __init__(self):
                    super().__init__()
                    self.settings = Settings()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self.settings.scale
            """,
            label="plain-class",
        ),
        Valid(
            """
            import torch
            from torch import nn


            class Base:
                def __init__(self):
                    self.scale = 2.0


            class Settings(Base):
                pass


            class Model(nn.Module):
                settings: Settings

                def __init__(self):
                    super().__init__()
                    self.scale = Settings().scale

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * self.scale
            """,
            label="annotation-without-instance-attribute",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class BaseConfig:
                def __init__(self):
                    self.hidden = 4


            class Config(BaseConfig):
                def __init__(self):
                    super().__init__()


            class Model(nn.Module):
                config: Config

                def __init__(self):
                    super().__init__()
                    self.config = Config()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x
            """,
            line=16,
            error_has_line=False,
            label="inherits",
            message="TorchScript compiles the class this attribute is annotated with, and cannot compile it: `Config` cannot be a TorchScript class because it inherits from BaseConfig",
        ),
        Invalid(
            """
            from dataclasses import dataclass

            import torch
            from torch import nn


            @dataclass
            class Config:
                hidden: int = 4


            class Model(nn.Module):
                config: Config

                def __init__(self):
                    super().__init__()
                    self.config = Config()

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x
            """,
            line=13,
            error_has_line=False,
            label="dataclass",
            message="TorchScript compiles the class this attribute is annotated with, and cannot compile it: `Config` cannot be a TorchScript class because it is a dataclass",
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        facts = [a for a in self.context.facts.annotated_attributes if a.owner == node.name.value]
        if not facts or not isinstance(node.body, cst.IndentedBlock):
            return
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not (isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)):
                    continue
                for fact in facts:
                    if fact.attribute == small.target.value:
                        self.report(
                            small.annotation.annotation,
                            f"{self.message}: `{fact.type_name}` cannot be a TorchScript "
                            f"class because {fact.reason}",
                            reach=(f"{node.name.value}.{fact.attribute}",),
                        )

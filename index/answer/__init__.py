"""Answers: the sentence that answers, snippets and confidence, composed once from the hits."""
